// The audio thread's half of the page's microphone (mic.js): each block of
// input, mixed to mono, goes to the page, which sends it to weft dev.
class WeftMic extends AudioWorkletProcessor {
  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0 && input[0].length > 0) {
      const mono = new Float32Array(input[0].length);
      for (const channel of input) {
        for (let i = 0; i < mono.length; i += 1) mono[i] += channel[i] / input.length;
      }
      this.port.postMessage(mono, [mono.buffer]);
    }
    return true;
  }
}
registerProcessor('weft-mic', WeftMic);
