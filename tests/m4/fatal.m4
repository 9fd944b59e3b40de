dnl m4args: -E
len(`a', `b') after warning
