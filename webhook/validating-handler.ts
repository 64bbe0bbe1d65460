// The validating webhook for every metallb.io kind: parse the review, fetch
// the existing configuration, run the shared rules, answer.
import type { Request, Response } from "express";
import type { Logger } from "../core/logger.ts";
import { checkAdmission } from "../core/validation/admission-check.ts";
import { EMPTY_CONFIG_SET } from "../core/validation/config-set.ts";
import type { Problem } from "../core/validation/problem.ts";
import { describeRef } from "../core/validation/problem.ts";
import { allow, deny, parseAdmissionReview, reviewOf } from "./admission-review.ts";
import type { ConfigSource } from "./config-source.ts";

export interface ValidatingOptions {
  readonly configSource: ConfigSource;
  readonly metallbNamespace: string;
  readonly log: Logger;
}

/** One line per problem: `spec.addresses[1]: … [POOL_OVERLAP]`. */
function line(p: Problem): string {
  return `${p.field}: ${p.message} [${p.code}]`;
}

export function validatingHandler(options: ValidatingOptions) {
  return async (req: Request, res: Response): Promise<void> => {
    const request = parseAdmissionReview(req.body);
    const subject = request.object ?? request.oldObject;
    // Status kinds and DELETEs other than BFDProfile's need no look at the rest.
    const needsConfig = request.operation !== "DELETE" || request.kind.kind === "BFDProfile";
    const existing = needsConfig
      ? await options.configSource(options.metallbNamespace)
      : EMPTY_CONFIG_SET;
    const verdict = checkAdmission({
      operation: request.operation,
      object: request.object,
      oldObject: request.oldObject,
      existing,
      metallbNamespace: options.metallbNamespace,
    });
    const warnings = verdict.warnings.map(line);
    const name =
      subject === undefined
        ? request.kind.kind
        : describeRef({ kind: subject.kind, name: subject.metadata.name ?? "" });
    if (verdict.errors.length > 0) {
      options.log.info(
        {
          uid: request.uid,
          kind: request.kind.kind,
          name: subject?.metadata.name,
          codes: verdict.errors.map((e) => e.code),
        },
        "denied",
      );
      res.json(
        reviewOf(deny(request.uid, `${name}: ${verdict.errors.map(line).join("; ")}`, warnings)),
      );
      return;
    }
    res.json(reviewOf(allow(request.uid, warnings)));
  };
}
