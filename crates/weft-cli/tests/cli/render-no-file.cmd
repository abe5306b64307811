args: render
exit: 2
