/**
 * The sample help center's files and parser: the Markdown subset, the loader's checks, and
 * that the articles say what knowledge-base/sample.yaml says where both cover a topic.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { customerVisibleArticles, defaultHelpCenterDir, HelpCenterError, loadHelpCenter } from '../../sandbox/help-center.js';
import { markdownToHtml, markdownToText } from '../../sandbox/markdown.js';

describe('sandbox help center files', () => {
  const helpCenter = loadHelpCenter();
  const textOf = (id: string) => helpCenter.articles.find((article) => article.id === id)!.text;

  it('renders the Markdown subset to HTML and plain text, escaping everything else', () => {
    const markdown = 'Intro with **bold**, *italic*, `code` and [a link](/support/x).\n\n## Section\n\n- one\n- two <b>\n\n1. first\n2. second';
    expect(markdownToHtml(markdown)).to.equal(
      '<p>Intro with <strong>bold</strong>, <em>italic</em>, <code>code</code> and <a href="/support/x">a link</a>.</p>\n' +
        '<h2>Section</h2>\n<ul><li>one</li><li>two &lt;b&gt;</li></ul>\n<ol><li>first</li><li>second</li></ol>',
    );
    expect(markdownToText(markdown)).to.equal('Intro with bold, italic, code and a link.\n\nSection\n\none\ntwo <b>\n\nfirst\nsecond');
    expect(markdownToHtml('[x](javascript:void)')).to.equal('<p>x</p>');
  });

  it('holds about 30 customer-visible articles, German and Spanish ones, 2 drafts and 2 agent-only ones', () => {
    const visible = customerVisibleArticles(helpCenter);
    expect(visible.length).to.be.within(28, 40);
    expect(visible.filter((article) => article.language === 'de')).to.have.length(2);
    expect(visible.filter((article) => article.language === 'es')).to.have.length(2);
    expect(helpCenter.articles.filter((article) => article.status === 'draft')).to.have.length(2);
    const agentOnly = new Set(helpCenter.folders.filter((folder) => folder.visibility === 3).map((folder) => folder.id));
    expect(helpCenter.articles.filter((article) => agentOnly.has(article.folderId))).to.have.length(2);
    for (const article of helpCenter.articles) expect(article.html, article.id).to.include('<h2>');
  });

  it('agrees with knowledge-base/sample.yaml where both speak', () => {
    expect(textOf('5000100001')).to.include('2 pm (Berlin time)').and.include('2–4 working days').and.include('3–7 working days');
    expect(textOf('5000100002')).to.include('€4.95').and.include('free for orders over €50').and.include('€9.95');
    expect(textOf('5000100021')).to.include('within 30 days of delivery');
    expect(textOf('5000100031')).to.include('within 3 working days').and.include('2–5 days');
    expect(textOf('5000100041')).to.include('2-year statutory warranty').and.include('5 years');
    expect(textOf('5000100061')).to.include('valid for 60 minutes');
    expect(textOf('5000100071')).to.include('Monday to Friday from 9:00 to 18:00').and.include("We don't offer phone support");
  });

  describe('the loader', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'help-center-'));
      cpSync(defaultHelpCenterDir, dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const article = (frontMatter: string) => `---\n${frontMatter}\n---\n## Body\n\nText.\n`;
    const errorFor = (): string => {
      try {
        loadHelpCenter(dir);
      } catch (error) {
        expect(error).to.be.instanceOf(HelpCenterError);
        return (error as Error).message;
      }
      throw new Error('expected the help center to be rejected');
    };

    it('rejects an unknown folder, a bad status, a duplicate id and missing front matter', () => {
      const base = 'id: 5000199999\ntitle: T\nupdated_at: 2026-01-01T00:00:00Z';
      writeFileSync(join(dir, 'articles', 'x.md'), article(`${base}\nfolder: nowhere\nstatus: published`));
      expect(errorFor()).to.match(/x\.md: no folder nowhere/);
      writeFileSync(join(dir, 'articles', 'x.md'), article(`${base}\nfolder: delivery\nstatus: live`));
      expect(errorFor()).to.match(/x\.md: status/);
      writeFileSync(join(dir, 'articles', 'x.md'), article('id: 5000100001\ntitle: T\nfolder: delivery\nstatus: draft\nupdated_at: 2026-01-01T00:00:00Z'));
      expect(errorFor()).to.match(/id 5000100001 is used twice/);
      writeFileSync(join(dir, 'articles', 'x.md'), '## No front matter\n');
      expect(errorFor()).to.match(/x\.md: no YAML front matter/);
    });

    it('reads ids as strings, language en by default, created_at from updated_at when missing', () => {
      writeFileSync(join(dir, 'articles', 'x.md'), article('id: 5000199999\ntitle: T\nfolder: delivery\nstatus: published\nupdated_at: 2026-01-01T00:00:00.000Z'));
      const added = loadHelpCenter(dir).articles.find((candidate) => candidate.id === '5000199999')!;
      expect(added).to.include({ language: 'en', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', folderId: '5000001001', categoryId: '5000000101' });
    });
  });
});
