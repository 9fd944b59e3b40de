/*
 * m4lite's built-in copy of postbox's cf macros (configs/cf/cf.m4), used
 * when a sendmail.mc includes sendmail-cf's cf.m4 from its usual place and
 * no such file exists (README.md, "m4": a bare image needs no files).
 *
 * The file goes in as it is, by the assembler's .incbin (the build runs
 * from the top of the tree), NUL-terminated.  make does not see this
 * dependency: after editing configs/cf/cf.m4, touch this file (m4.test
 * compares undivert() of the built-in copy with the file, and fails on a
 * stale one).
 */
__asm__(
	"	.section .rodata.m4lite_cf_m4,\"a\"\n"
	"	.globl m4lite_cf_m4\n"
	"	.type m4lite_cf_m4, %object\n"
	"m4lite_cf_m4:\n"
	"	.incbin \"configs/cf/cf.m4\"\n"
	"	.byte 0\n"
	"	.size m4lite_cf_m4, . - m4lite_cf_m4\n"
	"	.previous\n");
