#!/usr/bin/env node
// The one executable. Node 24 runs the TypeScript sources directly.
import "../cli/main.ts";
