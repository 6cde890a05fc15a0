/** Run tracking (`import { startRun } from "tsrl/track"`): the SQLite run store, trackers for training loops, plots. Node only. */
export { RunStore, StoreError, storeDirectory, STORE_SCHEMA_VERSION } from "./store.js";
export type { RunRecord, RunStatus, ArtifactRecord, EpisodeRow, MetricRow } from "./store.js";
export { Tracker, startRun } from "./tracker.js";
export type { TrackedAgent, TrackerOptions, StartRunOptions } from "./tracker.js";
export { collectVersions, tsrlVersion } from "./versions.js";
export { exportRows, EXPORT_FORMATS } from "./export.js";
export type { ExportFormat, ExportWhat } from "./export.js";
export { learningCurveChart, renderSvg, svgToPng, EPISODIC_RETURN } from "./plot.js";
export type { PlotOptions } from "./plot.js";
