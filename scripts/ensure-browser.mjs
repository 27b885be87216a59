// The dashboard's browser test drives Debian's chromium (browser builds that download from elsewhere
// are not used). Run by `npm test` before the tests: finds the browser, and on a Debian machine where
// it runs as root installs the package (`apt-get install -y chromium`), so a fresh clone needs no
// step of its own. Elsewhere it says how to get one; the test then skips with that message, unless
// MEDFUSION_REQUIRE_BROWSER=1 (CI sets it), which makes a missing browser a failure.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function found() {
  const named = process.env.MEDFUSION_CHROMIUM;
  if (named) return existsSync(named) ? named : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

function apt(args) {
  execFileSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

const have = found();
if (have) {
  process.stdout.write(`browser for the dashboard test: ${have}\n`);
  process.exit(0);
}

const canInstall =
  !process.env.MEDFUSION_CHROMIUM &&
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  existsSync('/usr/bin/apt-get');
if (canInstall) {
  process.stdout.write(
    "installing Debian's chromium for the dashboard's browser test (apt-get install -y chromium)...\n",
  );
  const install = ['install', '-y', '--no-install-recommends', 'chromium'];
  try {
    apt(install);
  } catch {
    try {
      apt(['update']); // a fresh machine may have no package lists yet
      apt(install);
    } catch {
      process.stderr.write('apt-get could not install chromium\n'); // said below what to do
    }
  }
  const now = found();
  if (now) {
    process.stdout.write(`browser for the dashboard test: ${now}\n`);
    process.exit(0);
  }
}

const how =
  'no chromium for the dashboard browser test: on Debian or Ubuntu `sudo apt-get install -y chromium`, ' +
  'or set MEDFUSION_CHROMIUM to a Chromium or Chrome binary';
if (process.env.MEDFUSION_REQUIRE_BROWSER === '1') {
  process.stderr.write(`${how} (MEDFUSION_REQUIRE_BROWSER=1)\n`);
  process.exit(1);
}
process.stdout.write(`${how}; that test will be skipped.\n`);
