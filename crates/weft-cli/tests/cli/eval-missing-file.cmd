args: eval programs/no-such-file.weft a@b
exit: 3
