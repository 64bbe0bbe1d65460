import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure code, beside the code it tests) and `cluster`
// (suites in test/ that need the real kube-apiserver + etcd that
// test/control-plane/vitest-global-setup.ts starts once for the run).
export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          // A few unit files run the executable; on 2 busy cores that can take seconds.
          testTimeout: 30_000,
          exclude: ["test/**", "node_modules/**", ".cache/**"],
        },
      },
      {
        test: {
          // Suites that run real daemons in network namespaces they create (root).
          name: "network",
          include: ["test/network/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "cluster",
          include: ["test/**/*.test.ts"],
          exclude: ["test/network/**"],
          globalSetup: ["test/control-plane/vitest-global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One control plane for the run; files share it, each in its own namespace.
          fileParallelism: false,
        },
      },
    ],
  },
});
