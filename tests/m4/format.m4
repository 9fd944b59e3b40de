dnl format (GNU).
format(`%d %5d %-5d| %05d %+d %x %X %o %u %c %s %%', 42, 42, 42, 42, 42, 255, 255, 8, 7, 65, `str')
format(`%.2f %10.3f %e %g %G', 3.14159, 2.5, 12345.678, 0.0001, 1e20)
format(`%*d|%-*s|%.*s', 5, 1, 4, `ab', 2, `abcdef')
format(`%s and %s', `one') format(`plain') format(`%d', `') format(`%d', `x')
format(`%ld %hd %z rest', 1, 2, 3)
format(`%5s|%-5s|%.1s', `ab', `cd', `ef')
