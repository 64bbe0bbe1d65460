// A mutating webhook that admits every object unchanged and does nothing
// else: the floor under the admission bench. Whatever the API server spends
// calling any webhook (AdmissionReview encoding, the TLS round trip, the
// proxy hop) shows up here too, so "ours minus this" is what our handler adds.
// usage: node noop-webhook.ts CERT_FILE KEY_FILE   Prints "READY <port>" once listening.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";

const [certFile, keyFile] = process.argv.slice(2);
if (certFile === undefined || keyFile === undefined) {
  process.stderr.write("usage: noop-webhook.ts CERT_FILE KEY_FILE\n");
  process.exit(2);
}

const server = createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const review = JSON.parse(body) as { request?: { uid?: string } };
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          response: { uid: review.request?.uid ?? "", allowed: true },
        }),
      );
    });
  },
);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`READY ${String((server.address() as AddressInfo).port)}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
