/**
 * Reports and the dashboard on the ops listener: a thin HTTP layer over store/reports.ts.
 * `GET /reports` and `GET /reports/dashboard` answer JSON for a range; `GET /dashboard` is a
 * plain page (no build step) that fetches them and draws with Chart.js, served from
 * node_modules so the page needs nothing from the internet.
 */
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { Logger } from '../lib/logger.js';
import { workflowUiUrl } from '../lib/temporal.js';
import { parseReportRange, type ReportRange } from '../store/report-range.js';
import { dashboardData, sessionReport } from '../store/reports.js';
import type { Store } from '../store/store.js';
import { dashboardPageHtml, dashboardScript } from './dashboard-page.js';

export interface ReportsRouterOptions {
  store: Store;
  logger: Logger;
  /** The Temporal Web UI and namespace, for each listed session's trace link; absent: no trace links. */
  temporalUi?: { baseUrl: string; namespace: string };
}

// chart.js exports only its ESM entry; the UMD build the page loads sits next to it.
const chartJsPath = fileURLToPath(new URL('chart.umd.min.js', import.meta.resolve('chart.js')));

/** The page loads only its own script and Chart.js, from this listener. */
const dashboardCsp = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function createReportsRouter(options: ReportsRouterOptions): express.Router {
  const { store, logger, temporalUi } = options;
  const router = express.Router();

  /** Parses the range (400 naming the parameter), runs the query (503 when the store is down). */
  const answer =
    <T>(query: (range: ReportRange) => Promise<T>) =>
    async (req: Request, res: Response) => {
      const parsed = parseReportRange({ from: req.query.from, to: req.query.to, reopenedWithinDays: req.query.reopenedWithinDays });
      if (!parsed.ok) return res.status(400).json({ error: parsed.error });
      let result: T;
      try {
        await store.ready();
        result = await query(parsed.range);
      } catch (error) {
        logger.error({ store: store.location, error: error instanceof Error ? error.message : String(error) }, 'report query failed');
        return res.status(503).json({ error: 'the session store is unavailable; retry later' });
      }
      res.set('Cache-Control', 'no-store');
      return res.json(result);
    };

  router.get(
    '/reports',
    answer((range) => sessionReport(store.db, range)),
  );

  router.get(
    '/reports/dashboard',
    answer(async (range) => {
      const data = await dashboardData(store.db, range);
      return {
        ...data,
        latestSessions: data.latestSessions.map((s) => ({
          ...s,
          traceUrl: temporalUi ? workflowUiUrl(temporalUi.baseUrl, temporalUi.namespace, s.workflowId) : null,
        })),
      };
    }),
  );

  router.get('/dashboard', (_req, res) => {
    res.set({ 'Content-Security-Policy': dashboardCsp, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.type('html').send(dashboardPageHtml);
  });
  router.get('/dashboard/assets/dashboard.js', (_req, res) => {
    res.set({ 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    res.type('text/javascript').send(dashboardScript);
  });
  router.get('/dashboard/assets/chart.umd.min.js', (_req, res) => {
    res.set('X-Content-Type-Options', 'nosniff');
    res.sendFile(chartJsPath, { maxAge: '1d' });
  });
  return router;
}
