// `metallb-ts validate -f FILE|DIR …`: the webhook's rules, offline.
import { Command } from "commander";
import { DEFAULT_NAMESPACE } from "../core/api/kind-names.ts";

interface ValidateFlags {
  filename: string[];
  namespace: string;
}

export function validateCommand(): Command {
  return new Command("validate")
    .description(
      "Check metallb.io manifests offline with the webhook's rules (schema, CEL, overlaps, references). Prints one line per problem as 'file: kind/name: field: message [CODE]'; exits 1 if any is an error. Warnings go to stderr.",
    )
    .requiredOption(
      "-f, --filename <path...>",
      "YAML/JSON files or directories (searched recursively); other kinds in them are ignored",
    )
    .option("--namespace <name>", "the MetalLB namespace objects must be in", DEFAULT_NAMESPACE)
    .action(async (flags: ValidateFlags) => {
      const [{ formatSourced, loadManifests }, { validateManifests }] = await Promise.all([
        import("./manifest-files.ts"),
        import("../core/validation/validate-manifests.ts"),
      ]);
      const { docs, unreadable } = await loadManifests(flags.filename);
      let failed = unreadable.length > 0;
      for (const u of unreadable)
        console.log(`${u.file}: ${u.message.replace(/:?\n[\s\S]*$/, "")} [MANIFEST_UNREADABLE]`);
      for (const p of validateManifests(docs, flags.namespace)) {
        if (p.severity === "error") {
          failed = true;
          console.log(formatSourced(p));
        } else console.error(formatSourced(p));
      }
      process.exitCode = failed ? 1 : 0;
    });
}
