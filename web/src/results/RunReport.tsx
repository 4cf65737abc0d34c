// A run's report: its service's or workflow's ``report`` option, rendered by the server
// when the run ended. Plain text shown as written (Preact escapes it: never HTML).
export function RunReport({ report, heading = "h3" }: { report?: string | null; heading?: "h3" | "h4" }) {
  if (report === null || report === undefined) return null;
  const Heading = heading;
  return (
    <section class="run-report" aria-label="Report">
      <Heading>Report</Heading>
      <pre class="logs">{report || "(empty)"}</pre>
    </section>
  );
}
