import { expect } from 'chai';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import { failureTypes, readActivityFailure, toApplicationFailure } from '../../workflow-safe/failures.js';

describe('the failure taxonomy (workflow-safe/failures.ts)', () => {
  const refused = toApplicationFailure({ message: 'Freshchat answered 404', failureType: failureTypes.freshchatPermanent, retryable: false, status: 404, code: 'NOT_FOUND' });
  const expected = { type: 'FreshchatPermanentError', status: 404, code: 'NOT_FOUND', message: 'Freshchat answered 404' };

  it("reads an activity's failure (wrapped in an ActivityFailure) and a local activity's (the ApplicationFailure itself) alike", () => {
    const wrapped = new ActivityFailure('Activity task failed', 'readConversationOwner', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, refused);
    expect(readActivityFailure(wrapped)).to.deep.equal(expected);
    expect(readActivityFailure(refused)).to.deep.equal(expected);
  });

  it("reads a local activity's timeout as a failure of unknown type; cancellations and workflow errors are not activity failures", () => {
    expect(readActivityFailure(new TimeoutFailure('timed out', undefined, 'START_TO_CLOSE' as never))).to.deep.equal({ type: undefined, status: undefined, code: 'UNKNOWN', message: 'timed out' });
    expect(readActivityFailure(new CancelledFailure('cancelled'))).to.equal(undefined);
    expect(readActivityFailure(new Error('a bug in the workflow'))).to.equal(undefined);
  });
});
