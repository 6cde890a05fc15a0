/** The run-store algorithms of text-model runs: their models are language models, not env policies. Browser-safe, dependency-free (the dashboard's client imports it). */
export const TEXT_ALGOS = ["sft", "grpo"] as const;

export function isTextAlgo(algo: string): boolean {
  return (TEXT_ALGOS as readonly string[]).includes(algo);
}
