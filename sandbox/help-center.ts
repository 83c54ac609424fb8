/**
 * The sample help center of "Pinecone Goods" (a fictional shop), as files: categories and
 * folders in `folders.yaml`, one Markdown article with YAML front matter per file in
 * `articles/`. One parser for the sandbox's Freshdesk routes, its website and the tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { markdownToHtml, markdownToText } from './markdown.js';

/** Resolved from the source tree: tsc does not copy .md and .yaml files into dist. */
export const defaultHelpCenterDir: string = fileURLToPath(new URL('../../sandbox/help-center/', import.meta.url));

/** Freshdesk's folder visibility: 1 all users, 2 logged-in users, 3 agents only, 4 selected companies. */
export type FolderVisibility = 1 | 2 | 3 | 4;
export type ArticleStatus = 'published' | 'draft';

export interface HelpCenterCategory {
  /** Freshdesk ids are large integers; strings here so that nothing rounds them. */
  id: string;
  key: string;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

export interface HelpCenterFolder {
  id: string;
  key: string;
  name: string;
  description: string;
  visibility: FolderVisibility;
  categoryId: string;
  /** Set for a subfolder (listed by `/solutions/folders/{parent}/subfolders`, not by its category). */
  parentFolderId?: string;
  createdAt: string;
  updatedAt: string;
}

export interface HelpCenterArticle {
  id: string;
  title: string;
  folderId: string;
  categoryId: string;
  status: ArticleStatus;
  /** 'en' unless the front matter says otherwise. */
  language: string;
  createdAt: string;
  updatedAt: string;
  markdown: string;
  html: string;
  text: string;
}

export interface HelpCenter {
  categories: HelpCenterCategory[];
  folders: HelpCenterFolder[];
  articles: HelpCenterArticle[];
}

export class HelpCenterError extends Error {
  override name = 'HelpCenterError';
}

const freshdeskId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).transform(String);
const timestamp = z
  .union([z.string(), z.date()])
  .transform((value) => (value instanceof Date ? value.toISOString() : value))
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 time')
  .transform(freshdeskTime);
const key = z.string().regex(/^[a-z0-9-]+$/, 'letters, digits and - only');

const foldersFileSchema = z.object({
  categories: z
    .array(
      z.object({
        id: freshdeskId, key, name: z.string().min(1), description: z.string().default(''),
        created_at: timestamp, updated_at: timestamp,
      }),
    )
    .min(1),
  folders: z
    .array(
      z.object({
        id: freshdeskId, key, name: z.string().min(1), description: z.string().default(''),
        visibility: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
        /** The category key; a subfolder takes its parent's. */
        category: key.optional(),
        /** The parent folder's key, for a subfolder. */
        parent: key.optional(),
        created_at: timestamp, updated_at: timestamp,
      }),
    )
    .min(1),
});

const frontMatterSchema = z.object({
  id: freshdeskId,
  title: z.string().min(1),
  folder: key,
  status: z.enum(['published', 'draft']),
  language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/).default('en'),
  created_at: timestamp.optional(),
  updated_at: timestamp,
});

/** Freshdesk's timestamps: UTC, whole seconds (`2026-10-15T08:30:00Z`). */
export function freshdeskTime(value: string | number | Date): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`).join('; ');
}

/** Splits `---\n<yaml>\n---\n<markdown>`. */
function splitFrontMatter(source: string, file: string): { frontMatter: unknown; markdown: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(source);
  if (!match) throw new HelpCenterError(`${file}: no YAML front matter (--- ... ---) at the top`);
  return { frontMatter: parseYaml(match[1]!), markdown: match[2]!.trim() };
}

/** An article's derived fields, from its Markdown: shared by the loader and by the sandbox's edits. */
export function renderedBody(markdown: string): Pick<HelpCenterArticle, 'markdown' | 'html' | 'text'> {
  return { markdown, html: markdownToHtml(markdown), text: markdownToText(markdown) };
}

export function loadHelpCenter(dir: string = defaultHelpCenterDir): HelpCenter {
  const parsedFolders = foldersFileSchema.safeParse(parseYaml(readFileSync(join(dir, 'folders.yaml'), 'utf8')));
  if (!parsedFolders.success) throw new HelpCenterError(`folders.yaml: ${describeIssues(parsedFolders.error)}`);

  const categories: HelpCenterCategory[] = parsedFolders.data.categories.map((category) => ({
    id: category.id, key: category.key, name: category.name, description: category.description,
    createdAt: category.created_at, updatedAt: category.updated_at,
  }));
  const categoryByKey = new Map(categories.map((category) => [category.key, category]));
  const folderEntryByKey = new Map(parsedFolders.data.folders.map((folder) => [folder.key, folder]));

  const folders: HelpCenterFolder[] = parsedFolders.data.folders.map((folder) => {
    const parent = folder.parent ? folderEntryByKey.get(folder.parent) : undefined;
    if (folder.parent && !parent) throw new HelpCenterError(`folders.yaml: folder ${folder.key}: no parent folder ${folder.parent}`);
    const categoryKey = parent ? parent.category : folder.category;
    const category = categoryKey ? categoryByKey.get(categoryKey) : undefined;
    if (!category) throw new HelpCenterError(`folders.yaml: folder ${folder.key}: no category ${categoryKey ?? '(none given)'}`);
    return {
      id: folder.id, key: folder.key, name: folder.name, description: folder.description, visibility: folder.visibility,
      categoryId: category.id, ...(parent ? { parentFolderId: parent.id } : {}),
      createdAt: folder.created_at, updatedAt: folder.updated_at,
    };
  });
  const folderByKey = new Map(folders.map((folder) => [folder.key, folder]));

  const articlesDir = join(dir, 'articles');
  const articles = readdirSync(articlesDir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name): HelpCenterArticle => {
      const { frontMatter, markdown } = splitFrontMatter(readFileSync(join(articlesDir, name), 'utf8'), name);
      const parsed = frontMatterSchema.safeParse(frontMatter);
      if (!parsed.success) throw new HelpCenterError(`${name}: ${describeIssues(parsed.error)}`);
      const folder = folderByKey.get(parsed.data.folder);
      if (!folder) throw new HelpCenterError(`${name}: no folder ${parsed.data.folder} in folders.yaml`);
      return {
        id: parsed.data.id, title: parsed.data.title, folderId: folder.id, categoryId: folder.categoryId,
        status: parsed.data.status, language: parsed.data.language,
        createdAt: parsed.data.created_at ?? parsed.data.updated_at, updatedAt: parsed.data.updated_at,
        ...renderedBody(markdown),
      };
    });

  const ids = [...categories, ...folders, ...articles].map((item) => item.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) throw new HelpCenterError(`id ${duplicate} is used twice`);
  return { categories, folders, articles: articles.sort((a, b) => compareIds(a.id, b.id)) };
}

/** Numeric order of decimal id strings without converting them to numbers. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Whether customers may be answered from this article: published, and its folder and every
 * folder above it open to all users (visibility 1). Agent-only (3) is internal; logged-in (2)
 * and selected-companies (4) folders are not public either, so a chat bot treats them as closed.
 */
export function isCustomerVisible(article: HelpCenterArticle, folders: HelpCenterFolder[]): boolean {
  if (article.status !== 'published') return false;
  const folderById = new Map(folders.map((folder) => [folder.id, folder]));
  for (let folder = folderById.get(article.folderId); folder; folder = folder.parentFolderId ? folderById.get(folder.parentFolderId) : undefined) {
    if (folder.visibility !== 1) return false;
  }
  return folderById.has(article.folderId);
}

export function customerVisibleArticles(helpCenter: HelpCenter): HelpCenterArticle[] {
  return helpCenter.articles.filter((article) => isCustomerVisible(article, helpCenter.folders));
}
