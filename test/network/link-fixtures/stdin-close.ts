// Fixture scripts run until the test writes "close" (or closes stdin).
export function onClose(close: () => void): void {
  let closed = false;
  const once = (): void => {
    if (closed) return;
    closed = true;
    close();
  };
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d: string) => {
    if (d.includes("close")) once();
  });
  process.stdin.on("end", once);
}

/** One JSON line per event on stdout, for the test to parse. */
export function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}
