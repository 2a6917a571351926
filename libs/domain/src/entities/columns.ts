import { Column, type ColumnOptions } from 'typeorm';

/** Column helpers so every entity spells ids, flags, instants and JSON the same way on both databases. */
export const IdColumn = (name: string, opts: ColumnOptions = {}) => Column({ name, type: 'varchar', length: 64, ...opts });
export const NameColumn = (opts: ColumnOptions = {}) => Column({ name: 'name', type: 'varchar', length: 255, ...opts });
export const TextColumn = (name: string, opts: ColumnOptions = {}) => Column({ name, type: 'text', nullable: true, ...opts });
export const FlagColumn = (name: string, opts: ColumnOptions = {}) => Column({ name, type: 'boolean', default: true, ...opts });
export const InstantColumn = (name: string, opts: ColumnOptions = {}) => Column({ name, type: 'datetime', nullable: true, ...opts });
/** Free-form attributes stored as JSON text (Keystone's `extra`). */
export const JsonColumn = (name: string) => Column({ name, type: 'simple-json', nullable: true });
