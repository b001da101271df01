// A small line chart on a canvas: training loss (left axis) and accuracy (right axis,
// 0-100 %) against images seen. Redrawn whole on every update (a few hundred points).

const LOSS = '#d9731c';
const ACC = '#2458c6';
const TEST = '#1b7f3b';

export class Chart {
  constructor(canvas) {
    this.canvas = canvas;
    this.loss = [];  // [images, loss]
    this.acc = [];   // [images, training accuracy]
    this.test = [];  // [images, test accuracy]
    this.maxImages = 1;
  }

  reset(maxImages) {
    this.loss = [];
    this.acc = [];
    this.test = [];
    this.maxImages = Math.max(1, maxImages);
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || c.width, h = c.clientHeight || c.height;
    if (c.width !== Math.round(w * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const pad = { l: 34, r: 38, t: 8, b: 20 };
    const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
    const maxLoss = Math.max(2.5, ...this.loss.map((p) => p[1]));
    const x = (i) => pad.l + (pw * i) / this.maxImages;
    const yLoss = (v) => pad.t + ph * (1 - Math.min(v, maxLoss) / maxLoss);
    const yAcc = (v) => pad.t + ph * (1 - v);

    g.font = '11px system-ui, sans-serif';
    g.strokeStyle = '#d9dde4';
    g.lineWidth = 1;
    g.fillStyle = '#5d6676';
    for (let k = 0; k <= 4; k++) {
      const yy = pad.t + (ph * k) / 4;
      g.beginPath(); g.moveTo(pad.l, yy); g.lineTo(pad.l + pw, yy); g.stroke();
      g.textAlign = 'right';
      g.fillText((maxLoss * (1 - k / 4)).toFixed(1), pad.l - 4, yy + 4);
      g.textAlign = 'left';
      g.fillText(`${100 - 25 * k}%`, pad.l + pw + 4, yy + 4);
    }
    g.textAlign = 'center';
    g.fillText(`${this.maxImages.toLocaleString('en')} images`, pad.l + pw - 40, h - 5);
    g.fillText('0', pad.l, h - 5);

    const line = (points, y, colour) => {
      if (!points.length) return;
      g.strokeStyle = colour;
      g.lineWidth = 1.5;
      g.beginPath();
      points.forEach(([i, v], k) => (k ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))));
      g.stroke();
    };
    line(this.loss, yLoss, LOSS);
    line(this.acc, yAcc, ACC);
    g.fillStyle = TEST;
    for (const [i, v] of this.test) {
      g.beginPath(); g.arc(x(i), yAcc(v), 3.5, 0, 2 * Math.PI); g.fill();
    }
  }
}

export const COLOURS = { loss: LOSS, acc: ACC, test: TEST };
