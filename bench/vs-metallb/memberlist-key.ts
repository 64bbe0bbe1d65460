// The memberlist key both systems' speakers read, as a file in its own
// directory: MetalLB's DaemonSet mounts its `memberlist` Secret as a
// directory (METALLB_ML_SECRET_KEY_PATH) and metallb-ts reads the file
// (--memberlist-key-file). MetalLB's controller makes the Secret as 16
// random bytes, unpadded base64 (metallb-reference §4.6).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { newMemberlistKey } from "../../reconciler/memberlist-secret.ts";

export interface MemberlistKey {
  readonly keyDir: string;
  readonly keyFile: string;
}

/** Writes a fresh key to `<dir>/memberlist/secretkey`. */
export async function writeMemberlistKey(dir: string): Promise<MemberlistKey> {
  const keyDir = join(dir, "memberlist");
  await mkdir(keyDir);
  const keyFile = join(keyDir, "secretkey");
  await writeFile(keyFile, newMemberlistKey());
  return { keyDir, keyFile };
}
