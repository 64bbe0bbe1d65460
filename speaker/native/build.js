// Builds the link-layer addon (speaker/native/build/Release/metallb_link.node)
// with node-gyp, offline: node-gyp gets --nodedir, so it never downloads Node
// headers (this machine reaches only the npm registry). Run by package.json's
// `install` script, i.e. by `npm ci` and `npm install`. Plain JS so that it
// runs under whatever `node` npm finds; it checks itself with checkJs.
//
// Header lookup, first hit wins (a dir counts when it has
// include/node/node_api.h and include/node/common.gypi):
//   1. METALLB_NODEDIR, if set (then nothing else is tried);
//   2. the Node distribution of the node that runs this script:
//      dirname(dirname(realpath(process.execPath))) — a tarball or distro install;
//   3. the `node` devDependency's arch package, which ships the full Node 24
//      distribution: node_modules/node/node_modules/node-<platform>-<arch>
//      (npm's bin link is a hard link, so step 2 does not find it);
//   4. npm_config_nodedir (e.g. `nodedir=/usr` in ~/.npmrc);
//   5. the system's headers, /usr/local then /usr (a distribution's nodejs
//      headers package), so that running this script by hand finds what npm
//      would have passed as nodedir.
//   The addon uses Node-API only (NAPI_VERSION 8), whose ABI does not depend
//   on the Node version, so other headers still give a working addon; the
//   script says which headers it used.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const here = import.meta.dirname;
const root = path.resolve(here, "..", "..");
const require = createRequire(import.meta.url);

/** @param {string} dir */
function hasHeaders(dir) {
  const include = path.join(dir, "include", "node");
  return (
    existsSync(path.join(include, "node_api.h")) && existsSync(path.join(include, "common.gypi"))
  );
}

/** @param {string} dir @returns {string} "24.21.0" or "unknown" */
function headerVersion(dir) {
  try {
    const text = readFileSync(path.join(dir, "include", "node", "node_version.h"), "utf8");
    const part = (/** @type {string} */ name) =>
      new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1] ?? "?";
    return `${part("MAJOR")}.${part("MINOR")}.${part("PATCH")}`;
  } catch {
    return "unknown";
  }
}

/** @returns {string[]} */
function candidates() {
  const own = process.env["METALLB_NODEDIR"];
  if (own !== undefined && own !== "") return [own];
  const arch = `node-${process.platform}-${process.arch}`;
  const list = [
    path.dirname(path.dirname(realpathSync(process.execPath))),
    path.join(root, "node_modules", "node", "node_modules", arch),
  ];
  const npmNodedir = process.env["npm_config_nodedir"];
  if (npmNodedir !== undefined && npmNodedir !== "") list.push(npmNodedir);
  for (const system of ["/usr/local", "/usr"]) if (!list.includes(system)) list.push(system);
  return list;
}

/** @returns {string} path of node-gyp's CLI script */
function nodeGyp() {
  try {
    return require.resolve("node-gyp/bin/node-gyp.js");
  } catch {
    // `npm ci --omit=dev` leaves out the devDependency; npm's own copy then.
    const bundled = process.env["npm_config_node_gyp"];
    if (bundled !== undefined && existsSync(bundled)) return bundled;
    throw new Error("node-gyp is not installed (devDependency) and npm did not name its own");
  }
}

function main() {
  const tried = candidates();
  const nodedir = tried.find(hasHeaders);
  if (nodedir === undefined) {
    console.error(
      `metallb-ts: no Node headers found for the link addon; looked in:\n  ${tried.join("\n  ")}\n` +
        "Install Node's headers (e.g. Debian's nodejs or libnode-dev package) or set METALLB_NODEDIR to a Node distribution.",
    );
    process.exit(1);
  }
  console.log(
    `metallb-ts: building speaker/native with Node ${headerVersion(nodedir)} headers from ${nodedir} (Node-API 8)`,
  );
  const result = spawnSync(
    process.execPath,
    [nodeGyp(), "rebuild", `--nodedir=${nodedir}`, "--jobs=2", "--loglevel=warn"],
    { cwd: here, stdio: "inherit" },
  );
  if (result.error !== undefined) throw result.error;
  process.exit(result.status ?? 1);
}

main();
