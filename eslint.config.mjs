// ESLint flat config (house style, design.md item 9): typescript-eslint's recommended rules for all
// TypeScript, ESLint's own recommended rules for JavaScript, and the Pulumi plugin's rules for the
// Pulumi program and its tests. Formatting is Prettier's job (`prettier --check .` in `npm run lint`).
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    globalIgnores(["node_modules/", "bin/", "dist/", "app/dist/", ".pulumi/", "test/unit/golden/"]),

    // A disable comment that no longer suppresses anything is an error, so none outlives its reason.
    { linterOptions: { reportUnusedDisableDirectives: "error" } },

    js.configs.recommended,

    {
        files: ["**/*.ts"],
        extends: [tseslint.configs.recommended],
    },

    // The Pulumi program (and the tests that drive it under mocks). @pulumi/eslint-plugin 0.3.1 exports
    // only `rules` (no flat `configs`), so its two rules are enabled by name. Both look at the type of
    // each template-literal expression, so these files are parsed with type information (the root
    // tsconfig.json's program, found by the project service); app/ never imports @pulumi/pulumi.
    {
        files: ["index.ts", "lib.ts", "provider.ts", "scripts/**/*.ts", "components/**/*.ts", "test/**/*.ts"],
        plugins: { "@pulumi": pulumi },
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
        },
    },

    // Runs in the app image under Debian's Node 18 as a CommonJS script.
    {
        files: ["images/app/transpile.js"],
        languageOptions: {
            ecmaVersion: 2022,
            sourceType: "commonjs",
            globals: { process: "readonly" },
        },
    },
);
