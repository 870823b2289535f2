/** What order knows of a User (owned by identity): its key. Resolver parent type for User. */
export interface UserRef {
  id: string;
}
