pub mod matvec;
