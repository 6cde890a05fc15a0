/** `tsrl dashboard`: serve the local web app over the run store until Ctrl-C. */
import type { Command } from "commander";
import { startDashboard } from "../dashboard/server.js";
import { integer } from "./options.js";

interface DashboardFlags {
  store?: string;
  port: number;
  host: string;
  token?: string;
  allowDelete?: boolean;
  allowEdit?: boolean;
}

export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description("Serve a local web app to watch, compare and replay the runs in the store")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--port <n>", "port to listen on (0: any free port)", integer("--port", 0, 65535), 6006)
    .option("--host <address>", "address to listen on; anything but loopback needs --token", "127.0.0.1")
    .option("--token <secret>", 'require this secret on every request ("auto": generate one); printed in the URL')
    .option("--allow-edit", "let the page rename runs and set their tags and notes (the dashboard is read-only otherwise)")
    .option("--allow-delete", "let the page delete runs, and edit them as --allow-edit")
    .action(async (flags: DashboardFlags) => {
      const dashboard = await startDashboard({ store: flags.store, port: flags.port, host: flags.host, token: flags.token, allowDelete: flags.allowDelete, allowEdit: flags.allowEdit });
      console.log(`tsrl dashboard: ${dashboard.url}`);
      const writes = flags.allowDelete ? " (runs can be renamed, tagged, annotated and deleted from the page)" : flags.allowEdit ? " (runs can be renamed, tagged and annotated from the page)" : "";
      console.log(`store: ${dashboard.storeDir}${writes}; Ctrl-C to stop`);
      const stop = () => void dashboard.close().then(() => process.exit(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
