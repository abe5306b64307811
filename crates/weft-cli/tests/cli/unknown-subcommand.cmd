args: paint {examples}/gradient.weft
exit: 2
