// Runs every rule over a configuration set. Pure: no API calls, so the
// webhook, the offline CLI and the tests share one implementation.
import {
  checkBGPAdvertisement,
  checkL2Advertisement,
  checkLocalPrefConflicts,
} from "./advertisement-rules.ts";
import { checkCommunities } from "./community-rules.ts";
import type { ConfigSet } from "./config-set.ts";
import { checkDuplicateSessions, checkPeer } from "./peer-rules.ts";
import { checkPoolOverlaps, parsePool } from "./pool-rules.ts";
import { ProblemSink, type Problem } from "./problem.ts";

export function validateConfigSet(set: ConfigSet): Problem[] {
  const sink = new ProblemSink();
  const pools = set.pools.map((p) => parsePool(sink, p));
  checkPoolOverlaps(sink, pools);
  const aliases = checkCommunities(sink, set.communities);
  const peerNames = new Set(set.peers.map((p) => p.metadata.name ?? ""));
  for (const ad of set.l2Advertisements) checkL2Advertisement(sink, ad, pools);
  for (const ad of set.bgpAdvertisements) {
    checkBGPAdvertisement(sink, ad, { pools, peerNames, aliases });
  }
  checkLocalPrefConflicts(sink, set.bgpAdvertisements, pools);
  for (const peer of set.peers) checkPeer(sink, peer, set.bfdProfiles);
  checkDuplicateSessions(sink, set.peers);
  return sink.problems;
}
