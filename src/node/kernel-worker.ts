/** A helper thread of `nodeKernelThreads`: takes chunks of the matrix products its parent publishes. */
import { workerData } from "node:worker_threads";
import { type KernelHelperInit, serveKernelHelper } from "../nn/parallel.js";

serveKernelHelper(workerData as KernelHelperInit);
