/**
 * Seeds the log in a process of its own, so the memory the seeding holds (the whole EventLog)
 * is gone before the rebuild's memory is measured:
 *   node --import tsx bench/rebuild/seed-process.ts <directory> <events> <slice orders>
 * Prints one JSON line: { written, sliceEvents }.
 */
import { writeTemplateSlice } from './event-mix';
import { seedLogDirectory } from './seed-log';

const [directory, events, sliceOrders] = process.argv.slice(2);
if (!directory || !events || !sliceOrders) throw new Error('usage: seed-process.ts <directory> <events> <slice orders>');
const template = await writeTemplateSlice({ products: 100, orders: Number(sliceOrders) });
const written = seedLogDirectory(directory, template, Number(events));
process.stdout.write(`${JSON.stringify({ written, sliceEvents: template.length })}\n`);
process.exit(0);
