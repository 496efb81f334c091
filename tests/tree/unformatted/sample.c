/* A sample that breaks .clang-format on purpose (format_check_refuses). */
int  sample(int x){if(x) return 1; return 0;}
