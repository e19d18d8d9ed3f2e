/** `--mem <MiB>` of `run` and `record`. */
import { MAX_RAM_MIB } from '@prnr/machine';
import { wholeNumberOption } from '../number-options.js';

export const MEM_OPTION_HELP = `RAM size in MiB (1 to ${MAX_RAM_MIB})`;

export const parseMemMiB = wholeNumberOption('--mem', 1, MAX_RAM_MIB, 'MiB');
