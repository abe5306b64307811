# A duration and rate whose samples exceed what a WAV holds (4 GiB) are refused at
# once, before any sample is computed or allocated.
args: audio programs/sine.weft --duration 86400 --rate 384000 -o {tmp}/out.wav
exit: 2
stderr-has: 123.6 GiB of samples; a WAV file holds at most 4 GiB
absent: out.wav
