/* An outside program: generated types and codec from an installed Orcastra. */
#include <stdio.h>

#include "hello.orca.h"

int main(void) {
  hello_greeting g;
  hello_greeting_init(&g);
  g.who = "world";
  orca_buf b = ORCA_BUF_INIT;
  if (hello_greeting_pack(&g, &b))
    return 1;
  hello_greeting back;
  orca_err err;
  if (hello_greeting_unpack(b.data, b.len, &back, &orca_heap, &err))
    return 1;
  printf("hello: %d %s\n", back.answer, back.who);
  hello_greeting_free(&back);
  orca_buf_free(&b);
  return 0;
}
