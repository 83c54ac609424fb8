/**
 * The sandbox's help center as it is right now: the shipped articles plus whatever a test did
 * through the control API (edits, deletions, publishing, generated articles for benchmarks).
 * Both the Freshdesk routes and the website read from here.
 */
import { notFound, invalidValue } from './errors.js';
import { seededRandom } from '../lib/seeded-random.js';
import {
  compareIds, customerVisibleArticles, freshdeskTime, isCustomerVisible, renderedBody,
  type ArticleStatus, type HelpCenter, type HelpCenterArticle, type HelpCenterCategory, type HelpCenterFolder,
} from './help-center.js';

/** Generated articles get ids from here up, far from the shipped ones (5000100001…5000400002). */
const FIRST_GENERATED_ID = 5_009_000_001;
/** When generated articles say they were written: fixed, so that two runs produce the same data. */
const GENERATED_AT = '2026-01-15T06:00:00Z';
export const MAX_GENERATED_PER_CALL = 20_000;

export interface ArticleEdit {
  title?: string;
  markdown?: string;
}

export class HelpCenterStore {
  private articles = new Map<string, HelpCenterArticle>();
  private generatedCount = 0;

  constructor(private readonly shipped: HelpCenter) {
    this.reset();
  }

  get categories(): HelpCenterCategory[] {
    return this.shipped.categories;
  }

  get folders(): HelpCenterFolder[] {
    return this.shipped.folders;
  }

  /** Back to the shipped articles: edits, deletions and generated articles are gone. */
  reset(): void {
    this.articles = new Map(this.shipped.articles.map((article) => [article.id, { ...article }]));
    this.generatedCount = 0;
  }

  findCategory(id: string): HelpCenterCategory | undefined {
    return this.shipped.categories.find((category) => category.id === id);
  }

  findFolder(id: string): HelpCenterFolder | undefined {
    return this.shipped.folders.find((folder) => folder.id === id);
  }

  findArticle(id: string): HelpCenterArticle | undefined {
    return this.articles.get(id);
  }

  /** Every article, drafts and agent-only ones included, in id order. */
  listArticles(): HelpCenterArticle[] {
    return [...this.articles.values()].sort((a, b) => compareIds(a.id, b.id));
  }

  /** A folder's own articles (not its subfolders'), optionally of one language, in id order. */
  articlesInFolder(folderId: string, language?: string): HelpCenterArticle[] {
    return this.listArticles().filter(
      (article) => article.folderId === folderId && (language === undefined || article.language === language),
    );
  }

  /** What the public website shows: published articles in folders open to all users. */
  customerVisibleArticles(): HelpCenterArticle[] {
    return customerVisibleArticles({ categories: this.categories, folders: this.folders, articles: this.listArticles() });
  }

  isCustomerVisible(article: HelpCenterArticle): boolean {
    return isCustomerVisible(article, this.folders);
  }

  edit(id: string, edit: ArticleEdit): HelpCenterArticle {
    const article = this.articleOr404(id);
    if (edit.title !== undefined) article.title = edit.title;
    if (edit.markdown !== undefined) Object.assign(article, renderedBody(edit.markdown));
    this.touch(article);
    return article;
  }

  setStatus(id: string, status: ArticleStatus): HelpCenterArticle {
    const article = this.articleOr404(id);
    article.status = status;
    this.touch(article);
    return article;
  }

  delete(id: string): HelpCenterArticle {
    const article = this.articleOr404(id);
    this.articles.delete(id);
    return article;
  }

  /**
   * Adds `count` published English articles to a folder, for sync benchmarks. Deterministic:
   * the n-th generated article since the last reset always has the same id, title and body,
   * and every one differs from the others in both.
   */
  generate(folderId: string, count: number): HelpCenterArticle[] {
    const folder = this.findFolder(folderId);
    if (!folder) throw notFound(`Folder ${folderId} not found`);
    if (!Number.isInteger(count) || count < 1 || count > MAX_GENERATED_PER_CALL) {
      throw invalidValue(`count must be an integer from 1 to ${MAX_GENERATED_PER_CALL}`);
    }
    const created: HelpCenterArticle[] = [];
    for (let i = 0; i < count; i++) {
      this.generatedCount += 1;
      const article = generatedArticle(this.generatedCount, folder);
      this.articles.set(article.id, article);
      created.push(article);
    }
    return created;
  }

  private articleOr404(id: string): HelpCenterArticle {
    const article = this.articles.get(id);
    if (!article) throw notFound(`Article ${id} not found`);
    return article;
  }

  /** Freshdesk timestamps have whole seconds: an edit must still move updated_at forward. */
  private touch(article: HelpCenterArticle): void {
    const now = Date.now();
    const previous = Date.parse(article.updatedAt);
    article.updatedAt = freshdeskTime(Math.max(now, previous + 1000));
  }
}

const subjects = ['tent', 'backpack', 'rain jacket', 'sleeping bag', 'camping stove', 'water bottle', 'hiking boot', 'headlamp', 'picnic blanket', 'cast-iron pan', 'hammock', 'trekking pole', 'cooler box', 'folding chair', 'wool sweater', 'lantern'];
const concerns = ['sizing', 'cleaning', 'storage', 'repairs', 'spare parts', 'delivery', 'assembly', 'materials', 'packing tips', 'warranty claims', 'colour options', 'weight'];
const adjectives = ['ultralight', 'family', 'winter', 'summer', 'classic', 'compact', 'waterproof', 'recycled', 'trail', 'alpine', 'urban', 'coastal'];


function generatedArticle(n: number, folder: HelpCenterFolder): HelpCenterArticle {
  const random = seededRandom(n);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const subject = pick(subjects);
  const concern = pick(concerns);
  const adjective = pick(adjectives);
  // The number makes titles and bodies distinct even when the picked words repeat.
  const model = `PG-${String(n).padStart(5, '0')}`;
  const title = `${adjective[0]!.toUpperCase()}${adjective.slice(1)} ${subject} ${model}: ${concern}`;
  const days = 2 + Math.floor(random() * 9);
  const markdown = [
    `This article covers ${concern} for the ${adjective} ${subject} (model ${model}).`,
    '## Overview',
    `The ${adjective} ${subject} ${model} is one of our synthetic catalogue items. Questions about ${concern} are answered within ${days} working days.`,
    `## ${concern[0]!.toUpperCase()}${concern.slice(1)}`,
    `- Check the label of ${model} before you start.`,
    `- Keep the ${subject} dry and away from direct heat.`,
    `- Reference number ${n * 7919 % 100_000} for our warehouse.`,
  ].join('\n\n');
  const at = freshdeskTime(Date.parse(GENERATED_AT) + n * 1000);
  return {
    id: String(FIRST_GENERATED_ID + n - 1),
    title,
    folderId: folder.id,
    categoryId: folder.categoryId,
    status: 'published',
    language: 'en',
    createdAt: at,
    updatedAt: at,
    ...renderedBody(markdown),
  };
}
