/* The nonewprivs test image's program (critest's e2e-test-images/nonewprivs): installed setuid
 * root, it prints the effective uid it runs with, so a container with no_new_privs shows its own
 * uid and one without shows 0. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("Effective uid: %d\n", (int)geteuid());
  return 0;
}
