args: cache invalidate nosuch --cache {tmp}/c
exit: 2
stderr-has: no cached segment named `nosuch`
