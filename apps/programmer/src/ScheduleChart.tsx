/**
 * The 24-hour picture of a day program: a step chart in SVG, drawn by hand (no chart library).
 * When `onRateChange` is given, each step can be dragged up or down with the pointer; typing in
 * the step table beside it does the same from the keyboard.
 */
import { useRef } from 'react';
import type { FlexStep } from '@thecal/pump-core';
import { daySegments, formatMinute, formatRateMlPerDay } from '@thecal/therapy-calc';

const W = 480;
const H = 160;
const PAD = 30;

export function ScheduleChart(props: { title: string; steps: FlexStep[]; maxRateNlPerDay: number; onRateChange?: (index: number, rateNlPerDay: number) => void }) {
  const svg = useRef<SVGSVGElement>(null);
  let segs: ReturnType<typeof daySegments> = [];
  try {
    segs = daySegments(props.steps);
  } catch {
    segs = [];
  }
  // Scale to the program (with headroom to drag upwards), never beyond the prescription's maximum rate.
  const highest = Math.max(...segs.map((s) => s.rateNlPerDay), 1);
  const top = Math.max(highest, Math.min(props.maxRateNlPerDay, Math.ceil((highest * 2) / 100_000) * 100_000));
  const x = (min: number) => PAD + ((W - 2 * PAD) * min) / 1440;
  const y = (rate: number) => H - PAD - ((H - 2 * PAD) * rate) / top;
  const drag = (index: number) => (ev: React.PointerEvent) => {
    const el = svg.current;
    const onRate = props.onRateChange;
    if (el === null || onRate === undefined) return;
    (ev.target as Element).setPointerCapture(ev.pointerId);
    const move = (e: PointerEvent) => {
      const box = el.getBoundingClientRect();
      const py = ((e.clientY - box.top) / box.height) * H;
      // Snap to 0.01 mL/day so a drag lands on readable figures.
      const rate = Math.max(0, Math.round((((H - PAD - py) / (H - 2 * PAD)) * top) / 10_000) * 10_000);
      onRate(index, rate);
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  const desc = segs.map((s) => `${formatMinute(s.startMinute)} to ${formatMinute(s.endMinute)}: ${formatRateMlPerDay(s.rateNlPerDay)}`).join('; ');
  return (
    <figure className="chart">
      <svg ref={svg} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}: ${desc}`}>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} stroke="#555" />
        <line x1={PAD} y1={PAD} x2={PAD} y2={H - PAD} stroke="#555" />
        {[0, 6, 12, 18, 24].map((h) => (
          <text key={h} x={x(h * 60)} y={H - 10} fontSize="10" textAnchor="middle">
            {String(h).padStart(2, '0')}:00
          </text>
        ))}
        <text x={4} y={PAD - 8} fontSize="10">
          {formatRateMlPerDay(top)}
        </text>
        {segs.map((s, i) => (
          <g key={i}>
            <rect x={x(s.startMinute)} y={y(s.rateNlPerDay)} width={Math.max(1, x(s.endMinute) - x(s.startMinute))} height={H - PAD - y(s.rateNlPerDay)} fill="#7fb3d5" stroke="#1f618d" />
            {props.onRateChange !== undefined && (
              <rect
                className="drag-handle"
                data-step={i}
                x={x(s.startMinute)}
                y={y(s.rateNlPerDay) - 5}
                width={Math.max(4, x(s.endMinute) - x(s.startMinute))}
                height={10}
                fill="#1f618d"
                fillOpacity={0.5}
                style={{ cursor: 'ns-resize', touchAction: 'none' }}
                onPointerDown={drag(i)}
              />
            )}
          </g>
        ))}
      </svg>
      <figcaption>{props.title}</figcaption>
    </figure>
  );
}
