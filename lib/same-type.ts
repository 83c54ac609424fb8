/** Compile-time: true when A and B are the same type (a zod schema held to the type the workflow uses). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
