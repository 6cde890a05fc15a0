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
}

export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description("Serve a local web app to watch, compare and replay the runs in the store")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--port <n>", "port to listen on (0: any free port)", integer("--port", 0, 65535), 6006)
    .option("--host <address>", "address to listen on; anything but loopback needs --token", "127.0.0.1")
    .option("--token <secret>", 'require this secret on every request ("auto": generate one); printed in the URL')
    .option("--allow-delete", "let the page delete runs (the dashboard is read-only otherwise)")
    .action(async (flags: DashboardFlags) => {
      const dashboard = await startDashboard({ store: flags.store, port: flags.port, host: flags.host, token: flags.token, allowDelete: flags.allowDelete });
      console.log(`tsrl dashboard: ${dashboard.url}`);
      console.log(`store: ${dashboard.storeDir}${flags.allowDelete ? " (runs can be deleted from the page)" : ""}; Ctrl-C to stop`);
      const stop = () => void dashboard.close().then(() => process.exit(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
