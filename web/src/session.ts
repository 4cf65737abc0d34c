// The signed-in user, for pages that show or hide editing controls by role.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { User } from "./api";

export const UserContext = createContext<User | null>(null);

export function useUser(): User {
  const user = useContext(UserContext);
  if (!user) throw new Error("useUser outside the signed-in shell");
  return user;
}

/** Operators and admins change things; viewers only look (the API refuses them anyway). */
export function canEdit(user: User): boolean {
  return user.role !== "viewer";
}
