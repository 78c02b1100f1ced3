import type ExcelJSModule from 'exceljs';

// Loaded on the first download: the library is large and most requests never need it.
let excel: Promise<typeof ExcelJSModule> | undefined;

/** One column of a downloaded table: rupiah cells stay integer numbers, shown with a rupiah format. */
export interface SheetColumn {
  header: string;
  kind: 'text' | 'integer' | 'rupiah';
  width?: number;
}

export type SheetCell = string | number | null;

export const RUPIAH_FORMAT = '"Rp "#,##0';

/** A workbook of one sheet: a bold header row, then the rows as given. */
export async function xlsxOf(sheetName: string, columns: readonly SheetColumn[], rows: ReadonlyArray<readonly SheetCell[]>): Promise<Buffer> {
  const ExcelJS = await (excel ??= import('exceljs').then((m) => (m as { default?: typeof ExcelJSModule }).default ?? m));
  const book = new ExcelJS.Workbook();
  book.creator = 'grms';
  const sheet = book.addWorksheet(sheetName.slice(0, 31));
  sheet.columns = columns.map((c) => ({ header: c.header, width: c.width ?? (c.kind === 'text' ? 40 : 22) }));
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const row of rows) sheet.addRow([...row]);
  columns.forEach((c, i) => {
    if (c.kind === 'rupiah') sheet.getColumn(i + 1).numFmt = RUPIAH_FORMAT;
    if (c.kind === 'integer') sheet.getColumn(i + 1).numFmt = '0';
  });
  // The header cells keep the General format.
  sheet.getRow(1).eachCell((cell) => {
    cell.numFmt = 'General';
  });
  return Buffer.from(await book.xlsx.writeBuffer());
}
