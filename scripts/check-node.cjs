// The first command of `npm test` and `npm run bench`: when npm runs its scripts with a Node too old
// for them (the system Node, after `npm ci --ignore-scripts` skipped the `node` devDependency's
// download of Node 24), stop at once with one line that says what to do, instead of dozens of failed
// tests and a crash. Plain ES5 in CommonJS on purpose (var, function, no template strings or arrow
// functions), so that however old the Node, it parses this file and prints the line.
/* global process, console, module, require */
'use strict';

// vitest 5 needs 22.12; undici 8 (bundled in dist/, run by the end-to-end tests) declares 22.19; the
// scripts and the emulator are TypeScript that Node runs as-is, unflagged from 22.18.
var MINIMUM = [22, 19, 0];

/** [major, minor, patch] of a version such as `v20.20.2` or `24.21.0`; null for anything else. */
function parseVersion(version) {
  var m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(version));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function isOlder(a, b) {
  for (var i = 0; i < 3; i++) {
    if (a[i] !== b[i]) return a[i] < b[i];
  }
  return false;
}

/**
 * The one line to print when Node `version` (at `execPath`) cannot run npm script `script`, or null
 * when it can. A version it cannot read is let through: the check is there to help, not to block.
 */
function nodeProblem(version, execPath, script) {
  var parsed = parseVersion(version);
  if (!parsed || !isOlder(parsed, MINIMUM)) return null;
  var what = !script ? 'This project' : script === 'test' ? '`npm test`' : '`npm run ' + script + '`';
  return (
    what +
    ' needs Node ' +
    MINIMUM[0] +
    '.' +
    MINIMUM[1] +
    ' or later, but npm ran Node ' +
    String(version).replace(/^v/, '') +
    ' (' +
    execPath +
    '). Run `npm ci` without --ignore-scripts, so that the `node` devDependency puts Node 24 first on ' +
    'the path of every npm script, or switch to Node 24.'
  );
}

module.exports = { MINIMUM: MINIMUM, nodeProblem: nodeProblem };

if (require.main === module) {
  var problem = nodeProblem(process.versions.node, process.execPath, process.env.npm_lifecycle_event);
  if (problem) {
    console.error(problem);
    process.exitCode = 1;
  }
}
