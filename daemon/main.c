#include <stdio.h>
int
main(void)
{
	fprintf(stderr, "sluiced: not yet\n");
	return 1;
}
