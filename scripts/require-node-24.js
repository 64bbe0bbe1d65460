// npm scripts must run on Node 24 (the `node` devDependency puts it first on PATH).
// A machine's own older Node fails here, loudly, instead of later in odd ways.
const major = Number(process.versions.node.split(".")[0]);
if (major !== 24) {
  console.error(
    `metallb-ts needs Node 24; this is ${process.version} (${process.execPath}). Run it through npm scripts after npm ci.`,
  );
  process.exit(1);
}
