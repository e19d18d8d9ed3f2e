/** The host tools the server's tests use; see @prnr/test-env/host-tools for what a missing one does. */
import { existsSync } from 'node:fs';
import { answers, hostTool } from '@prnr/test-env/host-tools';

/** Debian's chromium, or the browser PRNR_CHROMIUM names. */
export const CHROMIUM = process.env.PRNR_CHROMIUM ?? '/usr/bin/chromium';
export const chromium = hostTool(CHROMIUM, 'apt-get install chromium, or set PRNR_CHROMIUM', () => existsSync(CHROMIUM));
export const redis = hostTool('redis-server', 'apt-get install redis-server', answers('redis-server'));
