/* A few kernel-like structs: the members prnr's guest profile reads, laid
 * out around bit fields, anonymous structs and unions, typedefs, qualifiers,
 * arrays and pointers. Compiled at test time by riscv64-linux-gnu-gcc
 * (DWARF 5 and 4); pahole on the same object gives the expected offsets. */
typedef int pid_t;
typedef unsigned long u64;

struct thread_info {
	unsigned long flags;
	int preempt_count;
	long kernel_sp;
	long user_sp;
	int cpu;
};

struct list_head { struct list_head *next, *prev; };

struct task_struct {
	struct thread_info thread_info;
	volatile unsigned int __state;
	void *stack;
	unsigned int in_execve:1;
	unsigned int in_iowait:1;
	unsigned int sched_flags:5;
	union {
		u64 a;
		struct { char lo; short mid; };
	};
	struct list_head tasks[3][2];
	const pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct {
		int exit_state;
		int exit_code;
	};
	char comm[16];
	unsigned long last[];
};

struct pt_regs {
	unsigned long epc, ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7;
	unsigned long s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, t3, t4, t5, t6;
	unsigned long status;
	unsigned long badaddr;
	unsigned long cause;
	unsigned long orig_a0;
};

struct task_struct *current_task(struct pt_regs *regs, struct task_struct *t)
{
	return regs->cause == 8 ? t : t->real_parent;
}
