#!/usr/bin/env node
// The bin entry exists before the build, so npm links it at install time; the program itself is built into dist.
import "../dist/bin.js";
