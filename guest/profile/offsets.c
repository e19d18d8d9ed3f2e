// SPDX-License-Identifier: GPL-2.0
/*
 * prnr guest profile: structure offsets that prnr's diagnosis needs.
 *
 * build.sh compiles this file to assembly with exactly the compiler command
 * line kbuild used for arch/riscv/kernel/asm-offsets.c (same config, same
 * headers) and reads the "->NAME value" markers back, the way kbuild makes
 * asm-offsets.h. Nothing here is linked into the kernel.
 */
#include <linux/kbuild.h>
#include <linux/sched.h>
#include <linux/mm_types.h>
#include <linux/list.h>
#include <asm/ptrace.h>
#include <asm/thread_info.h>

void prnr_offsets(void);
void prnr_offsets(void)
{
	/* struct task_struct */
	DEFINE(TASK_STRUCT_SIZE, sizeof(struct task_struct));
	OFFSET(TASK_STATE, task_struct, __state);
	OFFSET(TASK_STACK, task_struct, stack);
	OFFSET(TASK_FLAGS, task_struct, flags);
	OFFSET(TASK_TASKS, task_struct, tasks);
	OFFSET(TASK_MM, task_struct, mm);
	OFFSET(TASK_ACTIVE_MM, task_struct, active_mm);
	OFFSET(TASK_EXIT_CODE, task_struct, exit_code);
	OFFSET(TASK_PID, task_struct, pid);
	OFFSET(TASK_TGID, task_struct, tgid);
	OFFSET(TASK_REAL_PARENT, task_struct, real_parent);
	OFFSET(TASK_PARENT, task_struct, parent);
	OFFSET(TASK_GROUP_LEADER, task_struct, group_leader);
	OFFSET(TASK_COMM, task_struct, comm);
	DEFINE(TASK_COMM_LEN_, TASK_COMM_LEN);
	/* thread_info is embedded at the start of task_struct on riscv */
	OFFSET(TASK_TI_FLAGS, task_struct, thread_info.flags);
	OFFSET(TASK_TI_PREEMPT_COUNT, task_struct, thread_info.preempt_count);
	OFFSET(TASK_TI_KERNEL_SP, task_struct, thread_info.kernel_sp);
	OFFSET(TASK_TI_USER_SP, task_struct, thread_info.user_sp);
	OFFSET(TASK_TI_CPU, task_struct, thread_info.cpu);
	/* saved callee registers of a switched-out task */
	OFFSET(TASK_THREAD_RA, task_struct, thread.ra);
	OFFSET(TASK_THREAD_SP, task_struct, thread.sp);
	OFFSET(TASK_THREAD_S0, task_struct, thread.s[0]);
	DEFINE(THREAD_SIZE_, THREAD_SIZE);

	/* struct mm_struct */
	OFFSET(MM_PGD, mm_struct, pgd);
	OFFSET(MM_START_CODE, mm_struct, start_code);
	OFFSET(MM_END_CODE, mm_struct, end_code);
	OFFSET(MM_START_BRK, mm_struct, start_brk);
	OFFSET(MM_BRK, mm_struct, brk);
	OFFSET(MM_START_STACK, mm_struct, start_stack);
	OFFSET(MM_ARG_START, mm_struct, arg_start);
	OFFSET(MM_ARG_END, mm_struct, arg_end);

	/* struct list_head */
	OFFSET(LIST_NEXT, list_head, next);
	OFFSET(LIST_PREV, list_head, prev);

	/* struct pt_regs (trap frame, at the top of the kernel stack) */
	DEFINE(PT_REGS_SIZE, sizeof(struct pt_regs));
	OFFSET(PT_EPC, pt_regs, epc);
	OFFSET(PT_RA, pt_regs, ra);
	OFFSET(PT_SP, pt_regs, sp);
	OFFSET(PT_TP, pt_regs, tp);
	OFFSET(PT_A0, pt_regs, a0);
	OFFSET(PT_A7, pt_regs, a7);
	OFFSET(PT_STATUS, pt_regs, status);
	OFFSET(PT_BADADDR, pt_regs, badaddr);
	OFFSET(PT_CAUSE, pt_regs, cause);
}
