// metallb-ts: one executable, one subcommand per component.
import { Command } from "commander";
import { errorText, MetallbError } from "../core/errors.ts";
import { reconcilerCommand } from "../reconciler/command.ts";
import { speakerCommand } from "../speaker/command.ts";
import { webhookCommand } from "../webhook/command.ts";
import { validateCommand } from "./validate-command.ts";

function program(): Command {
  return new Command("metallb-ts")
    .description(
      "MetalLB's API and behaviour for bare-metal Kubernetes LoadBalancer Services. Every component logs JSON to stdout.",
    )
    .addCommand(webhookCommand())
    .addCommand(reconcilerCommand())
    .addCommand(speakerCommand())
    .addCommand(validateCommand());
}

/** Runs the command line `argv` (process.argv's shape); bin/metallb-ts.js is the caller. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e: unknown) {
    const code = e instanceof MetallbError ? e.code : "FATAL";
    console.error(JSON.stringify({ level: "fatal", code, msg: errorText(e) }));
    process.exitCode = 2;
  }
}
