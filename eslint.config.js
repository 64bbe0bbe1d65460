// @ts-check
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["node_modules/", ".cache/", "test/control-plane/go-build/"] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // TypeScript already knows every global (tsconfig types: node).
      "no-undef": "off",
      // Size limits are gates, not advice (after Pepr's eslint config).
      complexity: ["error", 10],
      "max-depth": ["error", 3],
      "max-params": ["error", 4],
      "@typescript-eslint/explicit-module-boundary-types": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
      "@typescript-eslint/only-throw-error": "error",
      // catch (e) stays unknown (tsconfig strict); this keeps promise callbacks honest too.
      "@typescript-eslint/use-unknown-in-catch-callback-variable": "error",
      // @kubernetes/client-node's models are data-only classes that its
      // ObjectSerializer reads field by field; object literals are what its own
      // examples pass, so this rule only adds noise at that boundary.
      "@typescript-eslint/no-unsafe-class-instance-assignment": "off",
      // express recognises error middleware by its four parameters; rest
      // siblings are how a field is left out of a copy.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests read best as flat tables and loops; the size gates are for product code.
    files: ["**/*.test.ts", "test/**", "bench/**"],
    rules: { complexity: "off", "max-depth": "off", "max-params": "off" },
  },
);
