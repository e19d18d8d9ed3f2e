#!/usr/bin/env python3
"""Write guest/images/profile.json: what prnr's diagnosis needs to know about
the default guest kernel (version, symbol addresses, structure offsets, and how
to find the current task). Called by guest/build.sh."""
import argparse, json, os, re, sys

ap = argparse.ArgumentParser()
ap.add_argument('--offsets', required=True, help='offsets.s compiled from guest/profile/offsets.c')
ap.add_argument('--system-map', required=True)
ap.add_argument('--kbuild', required=True, help='kernel build dir (O=)')
ap.add_argument('--linux-package', required=True)
a = ap.parse_args()

def read(p):
    with open(p) as f:
        return f.read()

release = read(os.path.join(a.kbuild, 'include/config/kernel.release')).strip()
cfg = {}
for l in read(os.path.join(a.kbuild, '.config')).splitlines():
    m = re.match(r'(CONFIG_\w+)=(.*)', l)
    if m:
        cfg[m[1]] = m[2].strip('"')
compile_h = read(os.path.join(a.kbuild, 'include/generated/compile.h'))
def define(name):
    m = re.search(r'#define %s\s+"(.*)"' % name, compile_h)
    return m[1] if m else None

# "->NAME value" markers, as kbuild's asm-offsets.
off = {}
for m in re.finditer(r'"->(\w+) (-?\d+)', read(a.offsets)):
    off[m[1]] = int(m[2])
if not off:
    sys.exit('make-profile: no offsets found')

syms = {}
for l in read(a.system_map).splitlines():
    addr, typ, name = l.split()[:3]
    syms.setdefault(name, (int(addr, 16), typ))

WANTED = [
    # where the kernel image lies
    '_start', '_stext', '_etext', '_sdata', '_edata', '__bss_start', '__bss_stop', '_end',
    '__init_begin', '__init_end',
    # task list / memory
    'init_task', 'init_mm', 'swapper_pg_dir', 'kernel_map', 'va_pa_offset',
    '__per_cpu_offset', '__per_cpu_start', '__per_cpu_end',
    # time, version
    'jiffies', 'jiffies_64', 'linux_banner', 'init_uts_ns',
    # control flow landmarks
    'handle_exception', 'ret_from_exception', 'ret_from_fork', '__switch_to',
    'do_irq', 'do_trap_ecall_u', 'sys_call_table', 'schedule', 'do_idle',
    'default_idle_call', 'arch_cpu_idle', 'panic', 'do_exit', 'kernel_init',
    'start_kernel', 'setup_vm', 'printk', '_printk', 'vprintk_emit',
    'log_buf', 'prb', '__log_buf',
]
hexs = lambda v: '0x%016x' % v
symbols = {n: hexs(syms[n][0]) for n in WANTED if n in syms}
absent = [n for n in WANTED if n not in syms]

def pick(prefix, names):
    return {k: off[prefix + k.upper()] for k in names if prefix + k.upper() in off}

profile = {
    'schema': 'prnr.guest-profile/1',
    'kernel': {
        'release': release,
        'version': '#%s %s' % (os.environ.get('KBUILD_BUILD_VERSION', '1'),
                               os.environ.get('KBUILD_BUILD_TIMESTAMP', '')),
        'machine': define('UTS_MACHINE'),
        'compiler': define('LINUX_COMPILER'),
        'source_package': a.linux_package,
        'config': {
            'SMP': cfg.get('CONFIG_SMP') == 'y',
            'HZ': int(cfg.get('CONFIG_HZ', '0')),
            'THREAD_INFO_IN_TASK': cfg.get('CONFIG_THREAD_INFO_IN_TASK') == 'y',
            'RANDSTRUCT_NONE': cfg.get('CONFIG_RANDSTRUCT_NONE') == 'y',
            'VMAP_STACK': cfg.get('CONFIG_VMAP_STACK') == 'y',
            'KALLSYMS': cfg.get('CONFIG_KALLSYMS') == 'y',
            'PAGE_OFFSET': cfg.get('CONFIG_PAGE_OFFSET'),
        },
    },
    'memory': {
        'phys_load_addr': '0x0000000080200000',
        'kernel_link_addr': symbols.get('_start'),
        'page_offset_by_mode': {
            'sv39': '0xffffffd800000000',
            'sv48': '0xffffaf8000000000',
            'sv57': '0xff60000000000000',
        },
        'notes': (
            'The kernel image is linked at 0xffffffff80000000 (kernel_link_addr) '
            'and loaded at phys 0x80200000 by OpenSBI fw_jump. The linear map of '
            'RAM starts at PAGE_OFFSET, chosen at boot from the paging mode the CPU '
            'accepts (sv57, sv48, then sv39; CONFIG_PAGE_OFFSET is the sv57 value). '
            'On an Sv39-only CPU: PAGE_OFFSET = 0xffffffd800000000. '
            'kernel_map (struct kernel_mapping) holds the run-time values.'),
    },
    'current_task': {
        'in_kernel': 'tp (x4) holds the struct task_struct * of the running task',
        'in_user': ('sscratch holds the struct task_struct * of the running task '
                    '(tp then holds the user TLS pointer); in the kernel sscratch is 0'),
        'entry': ('handle_exception starts with "csrrw tp, sscratch, tp": a non-zero '
                  'result means the trap came from user mode; the user sp is saved in '
                  'task->thread_info.user_sp and pt_regs sit at the top of the kernel '
                  'stack (task->stack + THREAD_SIZE - sizeof(pt_regs))'),
        'per_cpu': ('uniprocessor kernel: no __per_cpu_offset, per-cpu variables '
                    'are plain globals' if cfg.get('CONFIG_SMP') != 'y' else
                    'SMP kernel: per-cpu variable = address + __per_cpu_offset[cpu]'),
    },
    'symbols': symbols,
    'symbols_absent': absent,
    'sizes': {
        'task_struct': off['TASK_STRUCT_SIZE'],
        'pt_regs': off['PT_REGS_SIZE'],
        'thread_size': off['THREAD_SIZE_'],
        'task_comm_len': off['TASK_COMM_LEN_'],
    },
    'offsets': {
        'task_struct': pick('TASK_', ['state', 'stack', 'flags', 'tasks', 'mm', 'active_mm',
                                       'exit_code', 'pid', 'tgid', 'real_parent', 'parent',
                                       'group_leader', 'comm', 'thread_ra', 'thread_sp',
                                       'thread_s0']),
        'thread_info': {k: off['TASK_TI_' + k.upper()]
                        for k in ['flags', 'preempt_count', 'kernel_sp', 'user_sp', 'cpu']},
        'mm_struct': pick('MM_', ['pgd', 'start_code', 'end_code', 'start_brk', 'brk',
                                  'start_stack', 'arg_start', 'arg_end']),
        'list_head': pick('LIST_', ['next', 'prev']),
        'pt_regs': pick('PT_', ['epc', 'ra', 'sp', 'tp', 'a0', 'a7', 'status',
                                'badaddr', 'cause']),
    },
    'offsets_notes': ('task_struct.state is the field __state; task_struct.tasks links all '
                      'thread-group leaders starting from init_task.tasks (list_head: '
                      'pointers to the next/prev tasks member, subtract the tasks offset); '
                      'thread_info is embedded at offset 0 of task_struct.'),
}
json.dump(profile, sys.stdout, indent=2)
sys.stdout.write('\n')
